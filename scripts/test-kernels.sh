#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The kernel matrix: boot Debian kernels in QEMU guests and run the system
# tests of this checkout inside each of them.
#
#   scripts/test-kernels.sh [KERNEL...] [-- pytest args]
#
# KERNEL is a version prefix (6.1, 6.12) or "host"; default: 6.1 6.12 host.
#  6.1   the newest linux-image-6.1.0-*-amd64 (Debian 12's own kernel)
#  6.12  the newest linux-image-6.12.*+deb12-amd64-unsigned (bookworm-security)
#  host  the running kernel, when its vmlinuz is in /boot (skipped otherwise)
# Package versions are resolved with apt-cache at run time (Debian drops
# superseded kernels); each package is fetched once with apt-get download into
# /var/cache/rtap/kernels/<package version>/.
#
# The guest (TCG: /dev/kvm here is the PVM module, under which stock kernels
# crawl; RTAP_KVM=1 uses KVM where it is hardware KVM) sees the host's root
# filesystem read-only over virtio-9p under a tmpfs overlay, with the
# extracted kernel's modules as /lib/modules/<version>, and runs
# RTAP_GUEST_CMD (default: the system tests with the pytest args given) in
# this checkout, with build/ as built on the host. Console output goes to
# stdout and to build-kernels/<kernel>.log.
#
# Prints a result line per kernel and ends with "N passed, N failed", summed
# over the kernels (pytest's counts; a guest that does not report counts 1
# failed). RTAP_GUEST_TIMEOUT (s, default 3600) bounds each guest.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cache=/var/cache/rtap/kernels
logs=$top/build-kernels

log() { printf '[kernels] %s\n' "$*"; }
die() { printf '[kernels] error: %s\n' "$*" >&2; exit 1; }

kernels=()
pytest_args=()
while [ $# -gt 0 ]; do
	if [ "$1" = -- ]; then
		shift
		pytest_args=("$@")
		break
	fi
	kernels+=("$1")
	shift
done
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12 host)

[ "$(id -u)" = 0 ] || die "needs root"
[ -f build/build.ninja ] || die "not configured: run scripts/setup.sh"
ninja -C build >/dev/null || die "build failed: ninja -C build"

missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v cpio >/dev/null || missing+=(cpio)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx switch_root ||
	missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi
# busybox must be static: it runs in the initramfs, before any library is there.
file -L /bin/busybox 2>/dev/null | grep -q 'statically linked' ||
	ldd /bin/busybox 2>&1 | grep -q 'not a dynamic' || die "/bin/busybox is not static (busybox-static)"

# The newest amd64 image of a kernel series, signed or not (bookworm-security
# has only unsigned 6.12 images of the newest release); signed on a tie.
resolve_package() { # prefix
	local re=${1//./\\.} names newest
	names=$(apt-cache search --names-only "^linux-image-$re[.-][0-9]" | awk '{ print $1 }' |
		grep -E -- '-amd64(-unsigned)?$' | grep -vE -- '-(cloud|rt|dbg)-')
	newest=$(sed 's/-unsigned$//' <<<"$names" | sort -V | tail -n 1)
	[ -n "$newest" ] || return 0
	grep -qx -- "$newest" <<<"$names" && echo "$newest" || echo "$newest-unsigned"
}

# Fetch and extract a kernel package once; prints the directory.
fetch_package() { # package
	local pkg=$1 ver dir tmp
	ver=$(apt-cache show --no-all-versions "$pkg" 2>/dev/null | awk '/^Version:/ { print $2; exit }')
	[ -n "$ver" ] || return 1
	dir=$cache/$ver
	if [ ! -f "$dir/.done" ]; then
		log "fetching $pkg $ver into $dir" >&2
		tmp=$(mktemp -d)
		chmod 755 "$tmp"
		(cd "$tmp" && apt-get download "$pkg=$ver" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
			{ rm -rf "$tmp"; return 1; }
		rm -rf "$dir"
		mkdir -p "$dir"
		dpkg-deb -x "$tmp"/*.deb "$dir" || { rm -rf "$tmp"; return 1; }
		rm -rf "$tmp"
		# The package leaves modules.dep to its postinst: modprobe needs it.
		depmod -b "$dir" "$(ls "$dir/lib/modules")" || return 1
		touch "$dir/.done"
	fi
	echo "$dir"
}

# An initramfs: a static busybox, the modules that reach the 9p root and /init.
make_initrd() { # moddir kver cmd-file out
	local moddir=$1 kver=$2 out=$4 work m f i=0
	work=$(mktemp -d)
	mkdir -p "$work/bin" "$work/sbin" "$work/mods"
	cp "$3" "$work/cmd"
	echo "$moddir" >"$work/moddir"
	cp /bin/busybox "$work/bin/busybox"
	: >"$work/mods/list"
	# Dependency order, builtins skipped; compressed modules unpacked for insmod.
	for f in $(modprobe -d "$moddir" -S "$kver" --show-depends -a \
			virtio_pci 9pnet_virtio 9p overlay 2>/dev/null | awk '$1 == "insmod" { print $2 }'); do
		grep -qx "$f" "$work/mods/files" 2>/dev/null && continue
		echo "$f" >>"$work/mods/files"
		m=$(printf '%02d-%s.ko' $i "$(basename "${f%%.ko*}")")
		i=$((i + 1))
		case $f in
		*.xz) xz -dc "$f" >"$work/mods/$m" ;;
		*.zst) zstd -qdc "$f" >"$work/mods/$m" ;;
		*) cp "$f" "$work/mods/$m" ;;
		esac
		echo "$m" >>"$work/mods/list"
	done
	rm -f "$work/mods/files"
	cat >"$work/init" <<-'EOF'
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	mkdir -p /proc /sys /dev /lower /rw /newroot
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	for m in $(cat /mods/list); do
		insmod /mods/$m || echo "rtap-guest: insmod $m failed"
	done
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot /lower ||
		{ echo "rtap-guest: no 9p root"; echo RC=125; poweroff -f; }
	mount -t tmpfs -o size=1536m tmpfs /rw
	mkdir -p /rw/upper /rw/work
	mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
		{ echo "rtap-guest: no overlay"; echo RC=125; poweroff -f; }
	kver=$(uname -r)
	moddir=$(cat /moddir)
	mkdir -p /newroot/lib/modules/$kver
	mount --bind /newroot$moddir/lib/modules/$kver /newroot/lib/modules/$kver
	mount -t proc proc /newroot/proc
	mount -t sysfs sysfs /newroot/sys
	mount -t devtmpfs devtmpfs /newroot/dev
	mkdir -p /newroot/dev/pts /newroot/dev/shm
	mount -t devpts devpts /newroot/dev/pts
	mount -t tmpfs tmpfs /newroot/dev/shm
	# /tmp stays the host's, through the overlay: a checkout may live there.
	# EAL refuses plugins below a world-writable directory: /run is 755.
	mount -t tmpfs -o mode=755 tmpfs /newroot/run
	cp /cmd /newroot/tmp/rtap-guest-cmd
	# The kernel runs /sbin/modprobe in this root: hand it to the guest's kmod.
	printf '#!/bin/sh\nexec chroot /newroot /sbin/modprobe "$@"\n' >/sbin/modprobe
	chmod 755 /sbin/modprobe
	echo "rtap-guest: running on $kver"
	# In the background: this shell, PID 1, reaps orphans while it waits.
	chroot /newroot /bin/bash /tmp/rtap-guest-cmd </dev/null &
	wait $!
	echo "RC=$?"
	sync
	poweroff -f
	EOF
	chmod 755 "$work/init"
	(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
	rm -rf "$work"
}

# The command the guest runs, in this checkout.
make_cmd() { # out
	{
		echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
		echo "export HOME=/root LANG=C.UTF-8 TERM=dumb PYTHONDONTWRITEBYTECODE=1"
		# Timing bounds of the tests stretch by this under emulation.
		echo "export RTAP_SLOW=${RTAP_SLOW:-10}"
		[ -z "${RTAP_BUILD:-}" ] || printf 'export RTAP_BUILD=%q\n' "$RTAP_BUILD"
		printf 'cd %q || exit 125\n' "$top"
		echo "ip link set lo up"
		# No /dev/net/tun until tun is loaded: no systemd here makes the static node.
		echo "modprobe -q tun"
		if [ -n "${RTAP_GUEST_CMD:-}" ]; then
			echo "$RTAP_GUEST_CMD"
		else
			printf '%s' "/usr/bin/python3 -m pytest -ra -p no:cacheprovider tests/system"
			[ ${#pytest_args[@]} -eq 0 ] || printf ' %q' "${pytest_args[@]}"
			echo
		fi
	} >"$1"
}

accel="-accel tcg"
[ -n "${RTAP_KVM:-}" ] && accel="-accel kvm"

mkdir -p "$logs"
passed=0
failed=0
results=()
for k in "${kernels[@]}"; do
	if [ "$k" = host ]; then
		kver=$(uname -r)
		vmlinuz=/boot/vmlinuz-$kver
		moddir=/
		if [ ! -f "$vmlinuz" ] || [ ! -d "/lib/modules/$kver" ]; then
			log "host ($kver): skipped, no $vmlinuz or /lib/modules/$kver"
			results+=("host $kver: skipped (no $vmlinuz)")
			continue
		fi
		name=host-$kver
	else
		pkg=$(resolve_package "$k")
		if [ -z "$pkg" ]; then
			log "$k: no linux-image package found with apt-cache"
			results+=("$k: no package")
			failed=$((failed + 1))
			continue
		fi
		moddir=$(fetch_package "$pkg") || {
			log "$k: cannot fetch $pkg"
			results+=("$k: $pkg not fetched")
			failed=$((failed + 1))
			continue
		}
		kver=$(ls "$moddir/lib/modules")
		vmlinuz=$moddir/boot/vmlinuz-$kver
		name=$kver
	fi
	work=$(mktemp -d)
	make_cmd "$work/cmd"
	make_initrd "$moddir" "$kver" "$work/cmd" "$work/initrd"
	out=$logs/$name.log
	log "$name: booting (TCG, 2 CPUs, 3 GB); console in $out"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	timeout "${RTAP_GUEST_TIMEOUT:-3600}" qemu-system-x86_64 $accel -cpu max -smp 2 -m 3G \
		-kernel "$vmlinuz" -initrd "$work/initrd" \
		-append "console=ttyS0 quiet panic=-1 8250.nr_uarts=1" \
		-display none -monitor none -serial stdio -no-reboot -nic none \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		</dev/null 2>&1 | sed -u 's/\r$//' | tee "$out"
	t1=$(date +%s)
	rm -rf "$work"
	rc=$(sed -n 's/^RC=\([0-9]*\)$/\1/p' "$out" | tail -n 1)
	# pytest's last line, with -q without the ==== around it.
	summary=$(grep -E '^(=+ )?([0-9]+ [a-z]+(, )?)+ in [0-9.]+s|^(=+ )?no tests ran' "$out" | tail -n 1)
	p=$(grep -o '[0-9]\+ passed' <<<"$summary" | grep -o '[0-9]\+')
	f=$(grep -o '[0-9]\+ \(failed\|error\|errors\)' <<<"$summary" | grep -o '[0-9]\+' | paste -sd+ | bc)
	s=$(grep -o '[0-9]\+ skipped' <<<"$summary" | grep -o '[0-9]\+')
	p=${p:-0} f=${f:-0}
	if [ -z "$summary" ] && [ -n "${RTAP_GUEST_CMD:-}" ]; then
		# A command of one's own: its exit status is the result.
		if [ "$rc" = 0 ]; then p=1; else f=1; fi
	elif [ -z "$summary" ] || [ -z "$rc" ]; then
		f=$((f + 1))	# the guest did not get to pytest's summary or to its end
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	line="$name: $p passed, $f failed, ${s:-0} skipped, rc=${rc:-none}, $((t1 - t0)) s"
	results+=("$line")
	log "$line"
done

log "results:"
for r in "${results[@]}"; do
	log "  $r"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
