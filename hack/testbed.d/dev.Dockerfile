# The test bed's dev image: what e2e tests build with: python3 + pip + venv
# from Debian, and the host's Go toolchain and Node.js + npm (Debian's golang
# is too old, and its npm drags in hundreds of packages).
FROM @REGISTRY@/debian:bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 python3-pip python3-venv \
 && rm -rf /var/lib/apt/lists/*
COPY go /usr/local/go
COPY node/bin/node /usr/local/bin/node
COPY node/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
# The host's Node.js has its own CA store: have it trust the system bundle,
# like the other tools (the proxy's CA is not in it; builds bring it).
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
ENV PATH=/usr/local/go/bin:/root/go/bin:$PATH
