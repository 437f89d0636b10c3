# GenoBridge: one image, one binary. Build: docker build -t genobridge .
# (Untested on the development machines, which have no Docker engine.)
FROM rust:1.96-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm binaryen && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
WORKDIR /src
COPY . .
RUN WB=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock) \
 && cargo install wasm-bindgen-cli --version "$WB" \
 && npm ci --no-audit --no-fund \
 && PATH="$PWD/node_modules/.bin:$PATH" scripts/build.sh --release

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/genobridge genobridge
COPY --from=build /src/target/release/genobridge /usr/local/bin/genobridge
COPY --from=build /src/target/site /usr/share/genobridge/site
COPY genobridge.toml /etc/genobridge/genobridge.toml
# The demo gene and medication tables the config names (relative to WORKDIR).
COPY data /var/lib/genobridge/data
USER genobridge
WORKDIR /var/lib/genobridge
ENV GENOBRIDGE_CONFIG=/etc/genobridge/genobridge.toml
# The web console (`listen`) and the MLLP order intake (`order_intake`).
EXPOSE 3000 2576
CMD ["genobridge", "serve"]
