#!/usr/bin/env bash
# Install the cf CLI v8 on Debian or Ubuntu from Cloud Foundry's own apt
# repository, checked against its signing key. Runs as root (a container) or
# with sudo (a CI runner's user).
set -euo pipefail

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi
}
readonly KEYRING=/usr/share/keyrings/cloudfoundry-cli.gpg
readonly REPO=https://packages.cloudfoundry.org/debian

export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends ca-certificates curl gnupg
curl -fsSL "${REPO}/cli.cloudfoundry.org.key" | as_root gpg --dearmor --yes -o "${KEYRING}"
echo "deb [signed-by=${KEYRING}] ${REPO} stable main" |
  as_root tee /etc/apt/sources.list.d/cloudfoundry-cli.list >/dev/null
as_root apt-get update -q
as_root apt-get install -y -q cf8-cli
cf version
