# The fakescope binary on Debian 12, with ffmpeg for the codecs it does not decode in Rust.
# No model weights inside: mount them (see deploy/compose.yaml and docs/SERVE.md, "Deployment").
#
#   docker build -t fakescope .
#   docker run --rm -v "$PWD/weights:/models:ro" -v "$PWD:/in:ro" fakescope scan /in/photo.jpg

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p fakescope --bin fakescope

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /data fakescope
COPY --from=build /src/target/release/fakescope /usr/local/bin/fakescope
# Models trained by fakescope (models/) are compiled into the binary; published weights come
# from the mounted folder.
ENV FAKESCOPE_MODELS=/models FAKESCOPE_DATA=/data
USER fakescope
WORKDIR /data
ENTRYPOINT ["fakescope"]
CMD ["--help"]
