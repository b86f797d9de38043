FROM debian:bookworm
# bash reads "((" as two subshells here; mvdan.cc/sh reads arithmetic.
RUN ((grep -q bookworm /etc/os-release) && apt-get update && apt-get install -y curl) || true
RUN apt-get install -y jq
