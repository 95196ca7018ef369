#!/bin/sh
# Runs as root only to hand the token volume to uid 1000 (git here, node in the promobot image), then does all the
# work as the unprivileged git user: the Gitea CLI refuses to run as root.
set -eu
token_dir=$(dirname "${TOKEN_FILE:-/run/promobot/gitea-token}")
mkdir -p "$token_dir"
chown 1000:1000 "$token_dir"
chmod 0700 "$token_dir"
exec su git -s /bin/bash -c 'exec bash /init/init.sh'
