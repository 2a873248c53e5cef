#!/usr/bin/env bash
# `make demo`: a local devnet (node, genesis miner t01000, one seal worker), a pledged sector sealed
# by the worker and proven on chain, shown with the miner's own commands; then a clean stop.
set -euo pipefail

home=$(mktemp -d -t pylotus-demo.XXXXXX)
out="$home/devnet.out"
cleanup() {
    if [[ -n "${devnet_pid:-}" ]] && kill -0 "$devnet_pid" 2>/dev/null; then
        kill -INT "$devnet_pid"; wait "$devnet_pid" || true
        sed -n '/stopping/,$p' "$out" | sed 's/^/    /'
    fi
    rm -rf "$home"
}
trap cleanup EXIT

echo "==> pylotus devnet --home $home/net --workers 1 --block-delay 1s"
pylotus devnet --home "$home/net" --workers 1 --block-delay 1s >"$out" 2>&1 &
devnet_pid=$!
for _ in $(seq 1 600); do
    grep -q '^export MINER_API_INFO=' "$out" && break
    kill -0 "$devnet_pid" 2>/dev/null || { cat "$out"; exit 1; }
    sleep 0.2
done
sed 's/^/    /' "$out"
eval "$(grep '^export ' "$out")"

echo "==> pylotus-miner info"
pylotus-miner info | sed 's/^/    /'

echo "==> pylotus-miner sectors pledge"
pylotus-miner sectors pledge | sed 's/^/    /'
number=$(pylotus-miner sectors list | tail -1 | cut -d: -f1)

echo "==> sector $number on its way to Proving (sealed by the seal worker, proven on chain)"
last=""
for _ in $(seq 1 240); do
    state=$(pylotus-miner sectors status "$number" | sed -n 's/^Status:\t\t//p')
    [[ "$state" != "$last" ]] && echo "    $(date +%T) $state" && last=$state
    [[ "$state" == "Proving" ]] && break
    sleep 0.5
done
[[ "$last" == "Proving" ]] || { echo "sector $number did not reach Proving"; exit 1; }

echo "==> pylotus-miner sectors list"
pylotus-miner sectors list | sed 's/^/    /'
echo "==> pylotus-miner workers list"
pylotus-miner workers list | sed 's/^/    /'
echo "==> pylotus-miner storage find $number"
pylotus-miner storage find "$number" | sed 's/^/    /'
echo "==> pylotus-miner sectors status --log $number"
pylotus-miner sectors status --log "$number" | sed -e 's/^\(Proof:\t\t.\{64\}\).*/\1… (vanilla proof, see docs\/vanilla-proofs.md)/' -e 's/^/    /'
echo "==> pylotus state power t01000"
pylotus state power t01000 | sed 's/^/    /'
echo "==> stopping the devnet (Ctrl-C)"
