# syntax=docker/dockerfile:1.7
#
# Izana backend image. One image, three roles, chosen by the command:
#   izana api --host 0.0.0.0 --port 8000   (default CMD)
#   izana worker
#   izana migrate && izana ingest          (release step)
#
# Build:  docker build -t izana:local .
# No secrets are baked in: every credential comes from the environment at run time.

ARG PYTHON_VERSION=3.11

# ---------------------------------------------------------------------------
# builder: resolve and install dependencies into /opt/venv
# ---------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Compilers only live in this stage. Every dependency ships manylinux wheels for
# x86_64; they are here for the few that may fall back to an sdist (e.g. on arm64).
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# 1) Dependencies only, from the locks (requirements/, written by `make lock`): exact versions and
#    hashes, so this layer is rebuilt only when a lock changes.
#    The `minilm` extra (a second local embedding model, docs/providers.md) needs torch: its CPU
#    build comes alone from PyTorch's CPU index first (PyPI's is the CUDA build with nvidia-*
#    wheels), then the lock finds it installed. WITH_MINILM=0 leaves it out.
COPY requirements/ requirements/
ARG WITH_MINILM=1
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN --mount=type=cache,target=/root/.cache/pip \
    if [ "$WITH_MINILM" = "1" ]; then \
        pip install --require-hashes --no-deps --index-url "$TORCH_INDEX" \
            -r requirements/torch-cpu.txt \
        && pip install --require-hashes -r requirements/prod-minilm.txt; \
    else \
        pip install --require-hashes -r requirements/prod.txt; \
    fi

# 2) The application itself (api, worker, shared) without touching the deps again.
COPY . .
RUN --mount=type=cache,target=/root/.cache/pip \
    pip install --no-deps . \
    && mkdir -p /src/data

# ---------------------------------------------------------------------------
# runtime: slim image, non-root, only the venv and the sample knowledge base
# ---------------------------------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime

ARG APP_UID=10001
ARG APP_GID=10001

# Tesseract OCR with English and Spanish, for scanned lab reports (shared/bloodwork/ocr.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid ${APP_GID} app \
    && useradd --system --uid ${APP_UID} --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

# KNOWLEDGE_BASE_PATH: the package is installed into site-packages, so the sample
#   knowledge base (data/) is shipped in /app/data and pointed at explicitly.
# REDIS_URL and DATABASE_URL must be set: the embedded dev servers (the `embedded` extra) are
#   not installed here.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    KNOWLEDGE_BASE_PATH=/app/data/knowledge_base

WORKDIR /app

COPY --from=builder /opt/venv /opt/venv
# data/ is read-only for the app user (owned by root). mkdir above keeps this COPY
# working even if the repository has no data/ directory.
COPY --from=builder /src/data /app/data

# Numeric user so Kubernetes `runAsNonRoot` can verify it without a passwd lookup.
USER ${APP_UID}:${APP_GID}

EXPOSE 8000

# Liveness only (/healthz has no dependencies). Meaningful for the `api` role;
# docker-compose disables it for the worker / migrate containers.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]

CMD ["izana", "api", "--host", "0.0.0.0", "--port", "8000"]
