#!/usr/bin/env bash
# The lab's base image, made from Debian's packages alone (no image registry needed):
# Debian 12 "minbase" by mmdebstrap, committed with buildah as
# localhost/manifesto-lab/debian:bookworm (or the name given as $1).
#
# Once made, the image stays in buildah's storage and this script returns at once.
# The root filesystem tarball is cached in $MANIFESTO_LAB_CACHE (default:
# ${TMPDIR:-/tmp}/manifesto-lab), never in the repository.
#
# Needs root, buildah and mmdebstrap (apt-get install buildah mmdebstrap). Builds on
# this image work with STORAGE_DRIVER=vfs and BUILDAH_ISOLATION=chroot where the
# default overlay storage or OCI runtime is not available (a container, a CI VM).
set -euo pipefail

image=${1:-localhost/manifesto-lab/debian:bookworm}
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}

if buildah inspect --type image "$image" >/dev/null 2>&1; then
    echo "make_base: $image is there"
    exit 0
fi

cache=${MANIFESTO_LAB_CACHE:-${TMPDIR:-/tmp}/manifesto-lab}
mkdir -p "$cache"
tarball=$cache/bookworm-minbase.tar
if [ ! -s "$tarball" ]; then
    # mmdebstrap picks the output format from the name: keep .tar on the partial file
    partial=$cache/partial-bookworm-minbase.tar
    timeout 900 mmdebstrap --quiet --variant=minbase --mode=root bookworm "$partial"
    mv "$partial" "$tarball"
fi

container=$(buildah from scratch)
trap 'buildah rm "$container" >/dev/null 2>&1 || true' EXIT
buildah add --quiet "$container" "$tarball" /
# The machine's own extra certificate authorities (a TLS-inspecting proxy's), so that
# https inside a build works once the build installs ca-certificates, and not before:
# exactly as on a machine that reaches the internet directly.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    buildah add --quiet "$container" /usr/local/share/ca-certificates/ /usr/local/share/ca-certificates/
fi
buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd /bin/bash \
    --created-by "mmdebstrap --variant=minbase bookworm" \
    "$container"
buildah commit --quiet --rm "$container" "$image"
echo "make_base: made $image"
