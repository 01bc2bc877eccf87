"""kafka-python checksums every record batch it produces and fetches; the project installs the crc32c package so it
does so in C (pure Python takes about 0.3 ms an event: `youth-guarantee bench --load` prints both)."""

import crc32c
import pytest
from kafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.util import calc_crc32c, crc32c_py

pytestmark = pytest.mark.unit


def test_kafka_python_checksums_record_batches_with_the_c_implementation() -> None:
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=False, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1024 * 1024)
    for offset in range(3):
        builder.append(offset, timestamp=None, key=b"k", value=b'{"event_id": "%d"}' % offset, headers=[])
    batch = DefaultRecordBatch(bytes(builder.build()))

    assert batch.validate_crc()
    assert calc_crc32c.__defaults__ == (crc32c.crc32c,)  # the C function, bound when kafka-python was imported
    assert crc32c.crc32c(b"123456789") == crc32c_py(b"123456789") == 0xE3069283  # CRC-32C's check value
