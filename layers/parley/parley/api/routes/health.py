from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness for load balancers and `make run`; touches nothing else."""
    return {"status": "ok"}
