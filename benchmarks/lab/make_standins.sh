#!/usr/bin/env bash
# Local stand-ins for the official images that MF501's inputs and outputs name
# (golang, rust, debian, distroless), made from the lab's Debian base and Debian's
# packages alone: Docker Hub and gcr.io need not be reachable. They are tagged with
# the official names, so `buildah bud --pull=never` resolves a converted Dockerfile's
# `FROM debian:bookworm-slim` or `FROM gcr.io/distroless/base-debian12` to them.
# What each shares with the real image (and where it differs) is in README.md here.
#
# Runs after make_base.sh (it needs localhost/manifesto-lab/debian:bookworm). An image
# already made by this recipe is kept and the script returns at once; the .deb files
# are cached in $MANIFESTO_LAB_CACHE (default ${TMPDIR:-/tmp}/manifesto-lab), never in
# the repository. Needs root and buildah; STORAGE_DRIVER=vfs by default, like the base.
set -euo pipefail

base=localhost/manifesto-lab/debian:bookworm
# Bump when a recipe below changes: images made by another recipe are made again.
recipe=5
export STORAGE_DRIVER=${STORAGE_DRIVER:-vfs}
cache=${MANIFESTO_LAB_CACHE:-${TMPDIR:-/tmp}/manifesto-lab}
archives=$cache/apt-archives
mkdir -p "$archives/partial"

if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
    echo "make_standins: $base missing: run make_base.sh first" >&2
    exit 1
fi

standin_is_current() {
    local found
    found=$(buildah inspect --type image --format '{{index .ImageAnnotations "org.manifesto.lab.recipe"}}' "$1" 2>/dev/null) || return 1
    [ "$found" = "$recipe" ]
}

# Runs a script in a working container with the machine's .deb cache mounted, so a
# second machine-local run downloads nothing new. chroot isolation: no OCI runtime.
run_in() {
    local container=$1
    shift
    buildah run --isolation chroot --network host \
        -v "$archives:/var/cache/apt/archives" \
        "$container" -- sh -euc "$*"
}

apt_install() {
    echo "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $* >/dev/null && rm -rf /var/lib/apt/lists/*"
}

# The settings the official Debian images carry (debuerreotype's): apt keeps no
# downloaded packages and no binary caches, fetches no translations; the slim images
# also install no documentation, manual pages or locales. A Dockerfile's own
# `apt-get install` then weighs what it weighs on the real images.
docker_apt_config() {
    local container=$1 variant=$2
    buildah run --isolation chroot "$container" -- sh -euc '
        cd /etc/apt/apt.conf.d
        clean="rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"
        printf "%s\n" "DPkg::Post-Invoke { \"$clean\"; };" "APT::Update::Post-Invoke { \"$clean\"; };" \
            "Dir::Cache::pkgcache \"\";" "Dir::Cache::srcpkgcache \"\";" >docker-clean
        echo "Apt::AutoRemove::SuggestsImportant \"false\";" >docker-autoremove-suggests
        echo "Acquire::Languages \"none\";" >docker-no-languages
        printf "%s\n" "Acquire::GzipIndexes \"true\";" "Acquire::CompressionTypes::Order:: \"gz\";" >docker-gzip-indexes
        echo force-unsafe-io >/etc/dpkg/dpkg.cfg.d/docker-apt-speedup
        rm -f /var/cache/apt/*.bin
        if [ "$1" = slim ]; then
            printf "%s\n" "path-exclude /usr/share/doc/*" "path-include /usr/share/doc/*/copyright" \
                "path-exclude /usr/share/man/*" "path-exclude /usr/share/groff/*" \
                "path-exclude /usr/share/info/*" "path-exclude /usr/share/lintian/*" \
                "path-exclude /usr/share/linda/*" "path-exclude /usr/share/locale/*" \
                "path-include /usr/share/locale/locale.alias" >/etc/dpkg/dpkg.cfg.d/docker
        fi
    ' sh "$variant"
}

# Commits the container as the stand-in named first (tagged with the other names too),
# and removes the stand-in an earlier recipe made, unless an image still uses it.
commit() {
    local container=$1
    shift
    local superseded name
    superseded=$(buildah inspect --type image --format '{{.FromImageID}}' "$1" 2>/dev/null || true)
    buildah config --annotation "org.manifesto.lab.recipe=$recipe" "$container"
    buildah commit --quiet --rm "$container" "$1" >/dev/null
    for name in "${@:2}"; do
        buildah tag "$1" "$name"
    done
    if [ -n "$superseded" ] && [ "$superseded" != "$(buildah inspect --type image --format '{{.FromImageID}}' "$1")" ]; then
        buildah rmi "$superseded" >/dev/null 2>&1 || true
    fi
    echo "make_standins: made $*"
}

# debian:bookworm (and :12), debian:bookworm-slim: the base (a minbase bootstrap, as
# the official images are) with the official images' apt and dpkg settings. The real
# slim image has also had the documentation of its own packages removed.
for variant in full slim; do
    if [ $variant = full ]; then
        names=(docker.io/library/debian:bookworm docker.io/library/debian:12)
    else
        names=(docker.io/library/debian:bookworm-slim)
    fi
    if standin_is_current "${names[0]}"; then
        echo "make_standins: ${names[0]} is there"
        continue
    fi
    container=$(buildah from --pull-never --quiet "$base")
    docker_apt_config "$container" $variant
    commit "$container" "${names[@]}"
done

# golang:1.19-bookworm: Debian's Go 1.19 (the official 1.19 images are bookworm's too),
# with the official image's C toolchain (cgo works), CA bundle, time zones, GOPATH,
# PATH and WORKDIR. The official image's Go lives in /usr/local/go; Debian's in
# /usr/lib/go-1.19, linked from /usr/local/go.
golang=docker.io/library/golang:1.19-bookworm
if standin_is_current "$golang"; then
    echo "make_standins: $golang is there"
else
    container=$(buildah from --pull-never --quiet "$base")
    run_in "$container" "$(apt_install golang-go ca-certificates tzdata gcc libc6-dev make pkg-config)" \
        "&& ln -s /usr/lib/go-1.19 /usr/local/go && mkdir -p /go/src /go/bin && chmod -R 1777 /go"
    docker_apt_config "$container" full
    buildah config --env GOLANG_VERSION=1.19.8 --env GOPATH=/go \
        --env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --workingdir /go --cmd bash "$container"
    commit "$container" "$golang"
fi

# rust:slim-bookworm: Debian's rustc 1.63 and cargo (the real tag floats to the latest
# Rust), with the official slim image's gcc, libc6-dev, CA bundle, CARGO_HOME and PATH.
rust=docker.io/library/rust:slim-bookworm
if standin_is_current "$rust"; then
    echo "make_standins: $rust is there"
else
    container=$(buildah from --pull-never --quiet "$base")
    run_in "$container" "$(apt_install cargo rustc ca-certificates gcc libc6-dev)" \
        "&& mkdir -p /usr/local/cargo/bin /usr/local/rustup && chmod -R a+w /usr/local/cargo /usr/local/rustup"
    docker_apt_config "$container" slim
    buildah config --env RUSTUP_HOME=/usr/local/rustup --env CARGO_HOME=/usr/local/cargo \
        --env PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --cmd bash "$container"
    commit "$container" "$rust"
fi

# gcr.io/distroless/base-debian12: as distroless assembles it, the files of Debian's
# packages without a shell or a package manager: glibc, libssl3, the CA bundle, time
# zones, netbase, base-files, and its three accounts (root, nobody, nonroot 65532).
distroless=gcr.io/distroless/base-debian12
if standin_is_current "$distroless"; then
    echo "make_standins: $distroless is there"
else
    tarball=$cache/distroless-base-debian12.tar
    helper=$(buildah from --pull-never --quiet "$base")
    trap 'buildah rm "$helper" >/dev/null 2>&1 || true' EXIT
    run_in "$helper" "$(apt_install libc6 libssl3 ca-certificates tzdata netbase base-files)"
    # Paths as the merged /usr has them (a package lists /lib64/ld-linux-x86-64.so.2;
    # the file is under /usr/lib64): the top-level links first, then real paths only,
    # so that unpacking never writes through a link.
    buildah run --isolation chroot "$helper" -- sh -euc '
        mkdir /staging
        {
            printf "%s\n" /bin /sbin /lib /lib64 /etc/ssl /etc/ssl/certs /etc/ssl/certs/ca-certificates.crt
            dpkg -L libc6 libssl3 tzdata netbase base-files | sort -u | while read -r path; do
                [ -e "$path" ] || [ -L "$path" ] || continue
                case $path in /bin|/sbin|/lib|/lib64) continue ;; esac
                printf "%s/%s\n" "$(realpath "$(dirname "$path")")" "$(basename "$path")"
            done
        } | tar -C / --no-recursion -cf - -T - | tar -C /staging -xf -
        cd /staging
        printf "%s\n" "root:x:0:0:root:/root:/sbin/nologin" \
            "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin" \
            "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" >etc/passwd
        printf "%s\n" "root:x:0:" "nobody:x:65534:" "tty:x:5:" "staff:x:50:" "nonroot:x:65532:" >etc/group
        mkdir -p -m 1777 tmp
        mkdir -p -m 0700 root home/nonroot
        chown 65532:65532 home/nonroot
        tar -C /staging -cf - .
    ' >"$tarball.partial"
    mv "$tarball.partial" "$tarball"
    container=$(buildah from --quiet scratch)
    buildah add --quiet "$container" "$tarball" /
    buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --user 0 --workingdir / \
        --created-by "distroless stand-in: files of libc6 libssl3 tzdata netbase base-files" \
        "$container"
    commit "$container" "$distroless"
fi
