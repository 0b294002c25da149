# Toonify: one image serving the API, websockets and pages on port 8000.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 TOONIFY_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY effects ./effects
COPY templates ./templates
COPY static ./static
COPY piccolo_conf.py ./
RUN pip install --no-cache-dir .
VOLUME /data
EXPOSE 8000
CMD ["toonify", "serve", "--host", "0.0.0.0", "--port", "8000"]
