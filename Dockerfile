# The image deploy/chart runs: `docker build -t <registry>/kubezilla-mcp:0.1.0 .`
#
# Three stages: the build (npm ci, tsc, the bundle, then production dependencies only), helm (the
# helm_* tools run the real CLI; downloaded with its published checksum), and the runtime, which
# holds the built program, its production node_modules and helm, and nothing of the build. It runs
# as uid 10001 and writes nowhere but /tmp (helm's HOME, Node's compile cache, temporary
# kubeconfigs) and the config directory the chart mounts, so a read-only root filesystem works.

FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/bundle.mjs ./scripts/bundle.mjs
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim AS helm
ARG HELM_VERSION=v3.19.0
ARG TARGETARCH=amd64
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && curl -fsSLo /tmp/helm.tgz "https://get.helm.sh/helm-${HELM_VERSION}-linux-${TARGETARCH}.tar.gz" \
 && curl -fsSLo /tmp/helm.tgz.sha256sum "https://get.helm.sh/helm-${HELM_VERSION}-linux-${TARGETARCH}.tar.gz.sha256sum" \
 && echo "$(cut -d' ' -f1 /tmp/helm.tgz.sha256sum)  /tmp/helm.tgz" | sha256sum -c - \
 && tar -xzf /tmp/helm.tgz -C /tmp \
 && install -m 0755 "/tmp/linux-${TARGETARCH}/helm" /usr/local/bin/helm

FROM node:22-bookworm-slim
ENV NODE_ENV=production HOME=/tmp TMPDIR=/tmp
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=helm /usr/local/bin/helm /usr/local/bin/helm
USER 10001:10001
# MCP (/mcp, /healthz, /readyz) and Prometheus /metrics, as the chart sets them.
EXPOSE 7331 9090
ENTRYPOINT ["node", "/app/dist/kubezilla-mcp.js"]
CMD ["--help"]
