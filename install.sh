#!/bin/bash
# install.sh: install kshim's dependencies (Debian 12 packages), build, install.
# Idempotent: packages already present are not reinstalled, a second run only
# rebuilds what changed.
#
# usage: ./install.sh [--dev] [--prefix DIR] [--deps-only] [--no-deps]
#   --dev          also the packages of the tests, the benchmarks and the kernel demo
#   --prefix DIR   where to install (default /usr/local)
#   --deps-only    install the packages and stop
#   --no-deps      skip the packages
#   --list         print the packages it would install (with --dev: all of them) and stop
set -euo pipefail
cd "$(dirname "$0")"
prefix=/usr/local deps=1 build=1 dev=0 list=0
while [ $# -gt 0 ]; do
	case $1 in
	--dev) dev=1; shift ;;
	--prefix) prefix=$2; shift 2 ;;
	--deps-only) build=0; shift ;;
	--no-deps) deps=0; shift ;;
	--list) list=1; shift ;;
	-h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

# what kshim needs to build and run: the compiler it shims, the linker, the libraries
pkgs=(make gcc pkg-config libjansson-dev libinih-dev nettle-dev zlib1g-dev libelf-dev libarchive-dev
      clang-19 lld-19 llvm-19)
# --dev: the tests (cmocka, the fuzzers' runtime, mold, Chromium for the report, the package
# test's tools), the benchmarks, and what the kernel demo builds and boots with
[ $dev -eq 0 ] || pkgs+=(libcmocka-dev libclang-rt-19-dev mold
      $(scripts/kshim-demo --packages)
      jq hyperfine ccache distcc bear clangd clangd-19 util-linux procps
      python3 dash strace valgrind chromium time
      debhelper dpkg-dev fakeroot lintian debootstrap)

if [ $list -eq 1 ]; then echo "${pkgs[*]}"; exit 0; fi
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
