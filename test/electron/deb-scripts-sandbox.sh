#!/bin/bash
# Runs the deb's after-install.sh and after-remove.sh as dpkg would (as root), in a private mount
# namespace where /usr /etc /opt /var /run are overlays on throwaway directories: nothing they do
# reaches the host. systemctl, apparmor_status and apparmor_parser are stubs that log their calls
# (the real ones talk to PID 1 and the kernel, which no overlay isolates), and so are the slow,
# irrelevant MIME and desktop database updates; everything else (update-alternatives,
# systemd-sysusers, groupadd, ln, install) is real. Prints "STEP name" and facts.
# Usage: unshare -m --propagation private deb-scripts-sandbox.sh REPO WORK
set -u
REPO=$1
WORK=$2
APP_DIR='/opt/SGLang Switchboard'

for dir in usr etc opt var run; do
  mkdir -p "$WORK/overlay/$dir/upper" "$WORK/overlay/$dir/work"
  mount -t overlay overlay -o "lowerdir=/$dir,upperdir=$WORK/overlay/$dir/upper,workdir=$WORK/overlay/$dir/work" "/$dir" || { echo "NO_OVERLAY $dir"; exit 2; }
done
[ "$(findmnt -n -o FSTYPE /etc)" = overlay ] || { echo "NO_OVERLAY etc"; exit 2; }

# The installed package, as the deb unpacks it: resources from the checkout, the app itself is the
# checkout (resources/app, with out/node built), and "Electron" is Node when run as Node.
mkdir -p "$APP_DIR/resources"
cp -r "$REPO/resources/linux" "$REPO/resources/systemd" "$APP_DIR/resources/"
rm "$APP_DIR/resources/linux/after-install.sh" "$APP_DIR/resources/linux/after-remove.sh"
ln -s "$REPO" "$APP_DIR/resources/app"
printf '#!/bin/sh\n[ "$ELECTRON_RUN_AS_NODE" = 1 ] || exit 3\nexec "%s" "$@"\n' "$(command -v node)" > "$APP_DIR/sglang-switchboard"
chmod 0755 "$APP_DIR/sglang-switchboard"
touch "$APP_DIR/chrome-sandbox"

# electron-builder's macro substitution.
for script in after-install after-remove; do
  sed -e "s|\${sanitizedProductName}|SGLang Switchboard|g" -e "s|\${executable}|sglang-switchboard|g" "$REPO/resources/linux/$script.sh" > "$WORK/$script"
  chmod 0755 "$WORK/$script"
done

mkdir -p "$WORK/stubs"
for stub in systemctl apparmor_status apparmor_parser; do
  printf '#!/bin/sh\necho "%s $*" >> "%s/calls"\n[ "%s" = systemctl ]\n' "$stub" "$WORK" "$stub" > "$WORK/stubs/$stub"
  chmod 0755 "$WORK/stubs/$stub"
done
for stub in update-mime-database update-desktop-database; do
  printf '#!/bin/sh\nexit 0\n' > "$WORK/stubs/$stub"
  chmod 0755 "$WORK/stubs/$stub"
done
export PATH="$WORK/stubs:$PATH"

facts() {
  echo "link switchboard=$(readlink /usr/bin/switchboard)"
  echo "link switchboard-helper=$(readlink /usr/bin/switchboard-helper)"
  echo "link sglang-switchboard=$([ -e /usr/bin/sglang-switchboard ] && readlink -f /usr/bin/sglang-switchboard)"
  echo "group=$(getent group sglang-switchboard | cut -d: -f1)"
  echo "unit=$([ -f /lib/systemd/system/sglang-switchboard-helper.service ] && echo installed || echo absent)"
  echo "sysusers=$([ -f /usr/lib/sysusers.d/sglang-switchboard.conf ] && echo installed || echo absent)"
  echo "calls=$(tr '\n' ';' < "$WORK/calls" 2>/dev/null)"
  rm -f "$WORK/calls"
}

echo "STEP install-without-systemd"
rm -rf /run/systemd/system
"$WORK/after-install" configure > /dev/null 2>&1; echo "rc=$?"
facts
echo "cli=$(cd / && switchboard --help 2>&1 | head -1)"
echo "helper=$(cd / && switchboard-helper --help 2>&1 | head -1)"

echo "STEP install-with-systemd-no-catalog"
mkdir -p /run/systemd/system
"$WORK/after-install" configure > /dev/null 2>&1; echo "rc=$?"
facts

echo "STEP upgrade-with-catalog"
mkdir -p /etc/sglang-switchboard && touch /etc/sglang-switchboard/switchboard.yaml
"$WORK/after-remove" upgrade; echo "rc=$?"
"$WORK/after-install" configure > /dev/null 2>&1; echo "rc=$?"
facts

echo "STEP remove"
"$WORK/after-remove" remove; echo "rc=$?"
facts

echo "STEP purge"
"$WORK/after-remove" purge; echo "rc=$?"
facts
