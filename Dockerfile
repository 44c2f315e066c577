# tatum-kms container image: a static binary on `scratch`, run as the non-root user `node`
# (uid 1000, like the original image's `node` user). Works with the original's usage:
#
#   docker run -it --env-file .env -v "$PWD":/root/.tatumrc IMAGE generatemanagedwallet BTC --testnet
#   docker run -d  --env-file .env -v "$PWD":/root/.tatumrc IMAGE daemon --testnet
#   docker run -it --env-file .env -v "$PWD":/home/node/.tatumrc IMAGE generatemanagedwallet BTC
#
# The wallet lands in the mounted folder in both cases: `/root/.tatumrc` is a relative symlink
# to `/home/node/.tatumrc` (the user's $HOME), and a mount destination is resolved through
# symlinks inside the image. The default command is `daemon`. See README.md "Container image".

# --- build: the static binary (scripts/build-static) and the image's file system -------------
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN bin="$(scripts/build-static)" \
 && strip "$bin" \
 && scripts/image-rootfs /out "$bin"

# --- the image: nothing but what scripts/image-rootfs assembled (no shell, no tools) ----------
FROM scratch
COPY --from=build /out/ /
# Ownership of the wallet folder, stated again in case the builder does not keep it.
COPY --from=build --chown=1000:1000 /out/home/node/ /home/node/
ENV HOME=/home/node \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 1000:1000
WORKDIR /home/node
ENTRYPOINT ["/usr/local/bin/tatum-kms"]
CMD ["daemon"]
