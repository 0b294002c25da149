# Toonify: one image for the web node (`toonify serve`) and, in a cluster, the workers.
# Build:  docker build -t toonify .
# Run:    docker run -p 8000:8000 -v toonify-data:/data toonify
# syntax=docker/dockerfile:1

# --- build stage: wheels for the pinned dependencies and the project -------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements.lock pyproject.toml README.md ./
RUN python -m venv /venv && /venv/bin/pip install -r requirements.lock
COPY app ./app
COPY effects ./effects
RUN /venv/bin/pip install --no-deps .

# --- run stage: the venv, the pages and static files, a non-root user --------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/venv/bin:$PATH \
    TOONIFY_DATA_DIR=/data
RUN useradd --uid 65532 --no-create-home --shell /usr/sbin/nologin toonify \
    && mkdir /data && chown 65532:65532 /data
COPY --from=build /venv /venv
WORKDIR /app
COPY templates ./templates
COPY static ./static
COPY piccolo_conf.py ./
USER 65532
VOLUME /data
EXPOSE 8000
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"]
CMD ["toonify", "serve", "--host", "0.0.0.0", "--port", "8000"]
