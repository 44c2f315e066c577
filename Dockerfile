# tatum-kms container image: a static binary on `scratch`, run as the non-root user `node`
# (uid 1000, like the original image's `node` user). Works with the original's usage:
#
#   docker run -it --env-file .env -v "$PWD":/root/.tatumrc IMAGE generatemanagedwallet BTC --testnet
#   docker run -d  --env-file .env -v "$PWD":/root/.tatumrc IMAGE daemon --testnet
#   docker run -it --env-file .env -v "$PWD":/home/node/.tatumrc IMAGE generatemanagedwallet BTC
#
# The wallet lands in the mounted folder in both cases: `/root/.tatumrc` is a symlink to
# `/home/node/.tatumrc` (the user's $HOME), and Docker resolves a mount destination through
# symlinks inside the image. The default command is `daemon`. See README.md "Container image".

# --- build: the same static binary as scripts/build-static, nothing from here ships ---------
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN scripts/build-static > /tmp/bin-path \
 && install -D -m 0755 "$(cat /tmp/bin-path)" /out/usr/local/bin/tatum-kms \
 && strip /out/usr/local/bin/tatum-kms

# --- the image's whole file system, assembled as files (scratch has no shell) -------------
FROM debian:bookworm-slim AS rootfs
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends ca-certificates \
 && mkdir -p /out/etc/ssl/certs /out/home/node/.tatumrc /out/root /out/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && ln -s /home/node/.tatumrc /out/root/.tatumrc \
 && chown -R 1000:1000 /out/home/node && chmod 0700 /out/home/node/.tatumrc \
 && chmod 0755 /out/root && chmod 1777 /out/tmp
COPY contrib/docker/passwd contrib/docker/group contrib/docker/nsswitch.conf /out/etc/

FROM scratch
COPY --from=rootfs /out/ /
COPY --from=build /out/ /
ENV HOME=/home/node \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 1000:1000
WORKDIR /home/node
ENTRYPOINT ["/usr/local/bin/tatum-kms"]
CMD ["daemon"]
