# One image for every service; the command picks which one runs (see docker-compose.yml).
FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=development \
    CMP_DATA_DIR=/var/lib/cmp
WORKDIR /app
RUN npm install --global pnpm@10.34.9
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY patches patches/
COPY platform/package.json platform/
COPY gateway/package.json gateway/
COPY schema/package.json schema/
COPY subgraphs/customer/package.json subgraphs/customer/
COPY subgraphs/interaction/package.json subgraphs/interaction/
COPY subgraphs/case/package.json subgraphs/case/
COPY subgraphs/invitation/package.json subgraphs/invitation/
COPY subgraphs/loyalty/package.json subgraphs/loyalty/
RUN pnpm install --frozen-lockfile --prod
COPY . .
USER node
CMD ["node", "--import", "tsx", "scripts/serve.ts", "gateway"]
