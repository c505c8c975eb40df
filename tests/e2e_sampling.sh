#!/usr/bin/env bash
# --sample N: 1-in-N packet sampling before accounting; counters stay raw and the interval goes
# to the collector so it can scale.
#  1. deterministic 1-in-10 on one worker takes exactly every 10th frame: ceil(P/10) packets;
#  2. tshark decodes the sampling options record: IPFIX with the PSAMP fields (selector algorithm
#     1, packet interval 1, packet space 9) and samplingInterval 10; v9 with SAMPLING_INTERVAL 10;
#  3. NetFlow v5 carries it in the header and nfdump scales: its packets are 10 × what was sent;
#  4. nfdump 1.7.1 does not apply v9/IPFIX sampling options records (checked: it logs no sampler
#     and scales nothing), so its documented setting `nfcapd -s 10` makes it scale: exactly 10 ×
#     the raw packets exported; --flow-dir's own files store the same scaled counters;
#  5. random 1-in-10 keeps a share within 5 standard deviations of 1/10.
source "$(dirname "$0")/lib.sh"

"$FPGEN" -o "$T/in.pcap" -n 200000 -f 20000 -6 30 -V 30 -r 101 -c "$T/truth.csv" >"$T/truth.json"
P=$(json_get "$T/truth.json" packets)
raise_rmem_max 16777216

# 1 + 2: IPFIX into tshark
port=$(free_udp_port)
capture_export "$T/ipfix.pcapng" "$port" sh -c '"$0" "$@" >"'"$T"'/s1.json"' "$FLUXPROBE" \
	--read "$T/in.pcap" --collector "127.0.0.1:$port" --sample 10 --idle-timeout 300 \
	--summary json -q
expect_eq "packets sampled (deterministic 1 in 10)" "$(json_get "$T/s1.json" packets)" $(((P + 9) / 10))
expect_eq "frames not sampled" "$(json_get "$T/s1.json" sampling.frames_not_sampled)" $((P - (P + 9) / 10))
dec=(tshark -n -r "$T/ipfix.pcapng" -d "udp.port==$port,cflow")
got=$("${dec[@]}" -Y cflow.sampling_interval -T fields -e cflow.sampling_interval \
	-e cflow.selector_algorithm -e cflow.sampling_packet_interval -e cflow.sampling_packet_space \
	-E occurrence=f 2>/dev/null | sort -u)
expect_eq "IPFIX sampling options (34, 304, 305, 306)" "$got" "$(printf '10\t1\t1\t9')"
total=$("${dec[@]}" -T fields -e cflow.packets -E occurrence=a -E aggregator=, 2>/dev/null |
	tr ',' '\n' | awk '{s += $1} END {print s + 0}')
expect_eq "raw packets decoded by tshark" "$total" "$(json_get "$T/s1.json" packets)"

port=$(free_udp_port)
capture_export "$T/v9.pcapng" "$port" "$FLUXPROBE" --read "$T/in.pcap" \
	--collector "127.0.0.1:$port" --format nfv9 --sample 10 -q
got=$(tshark -n -r "$T/v9.pcapng" -d "udp.port==$port,cflow" -Y cflow.sampling_interval -T fields \
	-e cflow.sampling_interval -e cflow.sampling_algorithm -E occurrence=f 2>/dev/null | sort -u)
expect_eq "v9 sampling options (34, 35)" "$got" "$(printf '10\t1')"

# 3: v5 header sampling, scaled by nfdump
port=$(free_udp_port)
start_nfcapd "$T/nf5" "$port" -B 16777216
"$FLUXPROBE" --read "$T/in.pcap" --collector "127.0.0.1:$port" --format nfv5 --sample 10 \
	--summary json -q >"$T/s5.json"
sleep 0.5
stop_nfcapd
sent=$(json_get "$T/s5.json" packets_exported)
expect_collector "nfdump packets (v5, scaled by the header's interval)" "$(nfdump_stat "$T/nf5" Packets)" $((sent * 10))

# 4: IPFIX into nfcapd -s 10
port=$(free_udp_port)
start_nfcapd "$T/nf" "$port" -B 16777216 -s 10
"$FLUXPROBE" --read "$T/in.pcap" --collector "127.0.0.1:$port" --sample 10 --summary json -q \
	>"$T/s4.json"
sleep 0.5
stop_nfcapd
expect_collector "nfdump packets (IPFIX, nfcapd -s 10)" "$(nfdump_stat "$T/nf" Packets)" \
	$(($(json_get "$T/s4.json" packets_exported) * 10))

# 4b: the probe's own nfcapd files (--flow-dir) store what nfcapd -s 10 stores: scaled counters
"$FLUXPROBE" --read "$T/in.pcap" --flow-dir "$T/fd" --sample 10 --summary json -q >"$T/s4b.json"
expect_eq "--flow-dir packets (nfdump -R, scaled)" "$(nfdump_stat "$T/fd" Packets)" \
	$(($(json_get "$T/s4b.json" packets) * 10))
nfdump -R "$T/fd" -o raw -c 1 | contains "Flags.*Sampled" || fail "--flow-dir records not flagged as sampled"

# 5: random
"$FLUXPROBE" --read "$T/in.pcap" --sample 10 --sample-mode random --summary json -q >"$T/sr.json"
python3 - "$(json_get "$T/sr.json" packets)" "$P" <<'PY' || fail "random sampling share off"
import math, sys
k, n = int(sys.argv[1]), int(sys.argv[2])
mean, sd = n / 10, math.sqrt(n * 0.1 * 0.9)
print(f"# random 1 in 10: {k} of {n} (expected {mean:.0f} ± {sd:.0f})")
assert abs(k - mean) <= 5 * sd
PY
echo "ok: sampling"
