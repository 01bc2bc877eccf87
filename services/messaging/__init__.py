"""The event library every service uses: the contract and its vocabulary, the outbox, the relay, the consumer
runner and broker helpers. It imports no service."""
