#!/bin/bash
# install.sh: install kshim's dependencies (Debian 12 packages), build, install.
# Idempotent: packages already present are not reinstalled, a second run only
# rebuilds what changed.
#
# usage: ./install.sh [--prefix DIR] [--deps-only] [--no-deps]
#   --prefix DIR   where to install (default /usr/local)
#   --deps-only    install the packages and stop
#   --no-deps      skip the packages
set -euo pipefail
cd "$(dirname "$0")"
prefix=/usr/local deps=1 build=1
while [ $# -gt 0 ]; do
	case $1 in
	--prefix) prefix=$2; shift 2 ;;
	--deps-only) build=0; shift ;;
	--no-deps) deps=0; shift ;;
	-h|--help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

# build and library dependencies, test tools, and what the kernel demo needs
pkgs=(make gcc pkg-config
      libjansson-dev libinih-dev nettle-dev zlib1g-dev libelf-dev libssl-dev libarchive-dev libcmocka-dev
      clang-19 lld-19 llvm-19 libclang-rt-19-dev mold
      linux-source-6.12 flex bison bc cpio libelf-dev kmod
      qemu-system-x86 busybox-static
      jq hyperfine ccache distcc bear clangd clangd-19 util-linux procps
      python3 dash strace valgrind chromium time)

sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
if [ $deps -eq 1 ]; then
	missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		echo "install.sh: installing ${missing[*]}"
		$sudo apt-get update -qq
		DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
	else
		echo "install.sh: all ${#pkgs[@]} packages present"
	fi
fi
[ $build -eq 1 ] || exit 0
make -j"$(nproc)"
$sudo make install PREFIX="$prefix"
echo "install.sh: kshim installed in $prefix/bin ($(command -v kshimctl || echo "add $prefix/bin to PATH"))"
