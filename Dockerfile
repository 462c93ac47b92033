# snapflow: pcap2json, snapflow-capture, snapflow-index and snapflow-gen built from this
# repository on Debian 12 with the packages of scripts/install-deps.sh (runtime subset in the
# final stage). Used by docker-compose.yml; `docker build -t snapflow .` works on its own.
FROM debian:12 AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ca-certificates \
      libpcap-dev libsimdjson-dev rapidjson-dev zlib1g-dev libisal-dev libtbb-dev \
      libxxhash-dev libssl-dev libcurl4-openssl-dev libmicrohttpd-dev \
      libgtest-dev libgmock-dev libbenchmark-dev dpdk-dev libdpdk-dev npm \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSNAPFLOW_BUILD_TESTS=OFF \
      -DSNAPFLOW_BUILD_BENCH=OFF \
    && cmake --build /build --target pcap2json snapflow-capture snapflow-index snapflow-gen \
    && install -D -m 0755 /build/pcap2json/pcap2json /out/usr/local/bin/pcap2json \
    && install -D -m 0755 /build/capture/snapflow-capture /out/usr/local/bin/snapflow-capture \
    && install -D -m 0755 /build/indexer/snapflow-index /out/usr/local/bin/snapflow-index \
    && install -D -m 0755 /build/core/synth/snapflow-gen /out/usr/local/bin/snapflow-gen

FROM debian:12
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpcap0.8 libsimdjson14 zlib1g libisal2 libtbb12 libtbbmalloc2 libxxhash0 libssl3 \
      libcurl4 libmicrohttpd12 dpdk ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /var/lib/snapflow --create-home snapflow
COPY --from=build /out/ /
COPY scripts/compose/ /usr/local/share/snapflow/compose/
USER snapflow
WORKDIR /var/lib/snapflow
ENTRYPOINT []
CMD ["pcap2json", "--help"]
