# One image for every KlinikDesa service; the Deployment chooses the service by command, e.g.
#   docker build -t <registry>/klinik:0.1.0 .
#   docker run --rm <registry>/klinik:0.1.0 /usr/local/bin/registration
# The build stage runs the project's own CMake build (tests off) of every service in
# services/services.json (target klinik_services, install component `services`); the runtime stage
# holds only the shared libraries the binaries load, and runs as an unprivileged user.

FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config git ca-certificates \
      librdkafka-dev libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      prometheus-cpp-dev libcivetweb-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev \
      nlohmann-json3-dev uuid-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKLINIK_BUILD_TESTS=OFF \
 && cmake --build /build --target klinik_services \
 && cmake --install /build --component services --prefix /out --strip

FROM debian:12-slim AS runtime
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates tzdata \
      librdkafka++1 libgrpc++1.51 libprotobuf32 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
      libcivetweb1 libsqlite3-0 libpq5 libcurl4 libuuid1 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 klinik \
 && useradd --system --uid 10001 --gid klinik --home-dir /var/lib/klinik --no-create-home --shell /usr/sbin/nologin klinik \
 && install -d -o klinik -g klinik -m 0750 /var/lib/klinik
COPY --from=build /out/bin/ /usr/local/bin/
# Fail the image build, not the first pod, when a runtime library is missing.
RUN for b in /usr/local/bin/*; do if ldd "$b" | grep 'not found'; then echo "missing library for $b" >&2; exit 1; fi; done
USER 10001:10001
WORKDIR /var/lib/klinik
# gRPC, then /metrics /healthz /readyz (KLINIK_GRPC_ADDRESS, KLINIK_HTTP_ADDRESS).
EXPOSE 50051 9464
# The working directory is writable, so the default sqlite://<service>.db works in a one-container
# trial; the Helm chart sets KLINIK_DATABASE_URL (PostgreSQL) and a read-only root filesystem.
ENV KLINIK_GRPC_ADDRESS=0.0.0.0:50051 KLINIK_HTTP_ADDRESS=0.0.0.0:9464
STOPSIGNAL SIGTERM
CMD ["/usr/local/bin/registration"]
