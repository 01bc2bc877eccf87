from services.common.alembic_env import run_env
from services.matching.models import Base

run_env(Base.metadata)
