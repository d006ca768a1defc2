# Production image: `loglens serve` (Granian, the default server), store on /data. Not built in CI (no Docker engine there).
FROM python:3.12-slim AS assets
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM python:3.12-slim
WORKDIR /app
COPY requirements-runtime.lock requirements.lock pyproject.toml README.md ./
# the runtime set, plus the `clickhouse` extra's driver at its pin in requirements.lock (ClickHouse mode)
RUN pip install --no-cache-dir -r requirements-runtime.lock -c requirements.lock clickhouse-driver
COPY src ./src
COPY config.yaml ./config.yaml
COPY --from=assets /src/node_modules/chart.js/dist/chart.umd.min.js src/loglens/web/static/vendor/chart.umd.min.js
COPY --from=assets /src/node_modules/chart.js/LICENSE.md src/loglens/web/static/vendor/chart.js.LICENSE.md
COPY --from=assets /src/node_modules/swagger-ui-dist/swagger-ui-bundle.js /src/node_modules/swagger-ui-dist/swagger-ui.css \
     src/loglens/web/static/vendor/
COPY --from=assets /src/node_modules/swagger-ui-dist/LICENSE src/loglens/web/static/vendor/swagger-ui.LICENSE
COPY --from=assets /src/node_modules/swagger-ui-dist/NOTICE src/loglens/web/static/vendor/swagger-ui.NOTICE
RUN pip install --no-cache-dir --no-deps .
# A container must bind 0.0.0.0, which LogLens refuses with access control off: keys are on. Create one with
# `docker exec <container> loglens keys create --role admin` (README "Docker"), or for a throwaway container set
# LOGLENS_AUTH_ENABLED=false and LOGLENS_AUTH_ALLOW_OPEN=true.
ENV CONFIG_PATH=/app/config.yaml LOGLENS_STORAGE_DATA_DIR=/data LOGLENS_SERVER_HOST=0.0.0.0 LOGLENS_AUTH_ENABLED=true
VOLUME ["/data"]
EXPOSE 5000
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:5000/health', timeout=2).status != 200)"
CMD ["loglens", "serve", "--host", "0.0.0.0", "--port", "5000"]
