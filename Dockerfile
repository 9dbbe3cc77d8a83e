# The app, stateless: run as many replicas as you like behind any load balancer.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    UVICORN_WORKERS=2 BPV_WORKERS=2
WORKDIR /srv/app

COPY pyproject.toml README.md ./
COPY app ./app
COPY templates ./templates
COPY static ./static
RUN pip install -e . && useradd --system --uid 10001 --no-create-home bpv

USER bpv
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
# Each uvicorn worker starts BPV_WORKERS engine processes (the killable time-bound pool).
CMD ["sh", "-c", "exec uvicorn app.main:app --host 0.0.0.0 --port 8000 --workers ${UVICORN_WORKERS} --proxy-headers"]
