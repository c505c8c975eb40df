#!/usr/bin/env bash
# --fields tcp with real connections that suffer: two network namespaces joined by a veth pair
# (segmentation offloads off, so the capture sees the segments TCP sent), nftables dropping 3 %
# of the server's TCP segments at random and 0.5 % of the client's (this kernel has no netem);
# curl downloads from a web server, a client that writes to a server which stops reading (its
# window closes: zero windows, probes), and a clean download from a server whose segments are
# never dropped. dumpcap records the client's side. Reading that capture:
#   1. every TCP record (one per direction) counts retransmitted packets and bytes, packets out
#      of order and zero windows exactly as tshark's TCP analysis marks that flow's frames
#      (tcp.analysis.retransmission, fast_retransmission, spurious_retransmission,
#      out_of_order, zero_window); the clean connection counts none;
#   2. with --biflow the same per direction (the responder's in the reverse fields);
#   3. IPFIX: ntop's RETRANSMITTED_IN/OUT_PKTS, _BYTES and OOORDER_IN/OUT_PKTS as tshark decodes
#      them agree; ECS under fluxprobe.tcp.*; ClickHouse's schema has the columns;
#   4. without --fields tcp none of it is anywhere.
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
command -v nft >/dev/null || fail "nft missing (scripts/setup installs nftables)"
command -v ethtool >/dev/null || fail "ethtool missing (scripts/setup installs it)"
A=fp-tcpa-a-$$ B=fp-tcpa-b-$$
ip netns add "$A"
ip netns add "$B"
NETNS_DEL+=("$A" "$B")
ip link add tva$$ type veth peer name tvb$$
ip link set tva$$ netns "$A"
ip link set tvb$$ netns "$B"
ip netns exec "$A" ip addr add 198.18.7.1/24 dev tva$$
ip netns exec "$B" ip addr add 198.18.7.2/24 dev tvb$$
for n in "$A" "$B"; do
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip netns exec "$n" ip link set lo up
done
ip netns exec "$A" ip link set tva$$ up
ip netns exec "$B" ip link set tvb$$ up
ip netns exec "$A" ethtool -K tva$$ tso off gso off gro off >/dev/null
ip netns exec "$B" ethtool -K tvb$$ tso off gso off gro off >/dev/null
# random loss: the server's segments (but port 9090's, the clean server) and a few client ones
ip netns exec "$B" nft add table inet loss
ip netns exec "$B" nft add chain inet loss out "{ type filter hook output priority 0; }"
ip netns exec "$B" nft add rule inet loss out tcp sport != 9090 numgen random mod 100 lt 3 drop
ip netns exec "$A" nft add table inet loss
ip netns exec "$A" nft add chain inet loss out "{ type filter hook output priority 0; }"
ip netns exec "$A" nft add rule inet loss out tcp dport != 9090 numgen random mod 1000 lt 5 drop
mkdir -p "$T/www" && head -c 4000000 /dev/urandom >"$T/www/big"
ip netns exec "$B" /usr/bin/python3 -m http.server 8080 --bind 198.18.7.2 --directory "$T/www" \
	>"$T/http.log" 2>&1 &
PIDS+=($!)
ip netns exec "$B" /usr/bin/python3 -m http.server 9090 --bind 198.18.7.2 --directory "$T/www" \
	>"$T/http2.log" 2>&1 &
PIDS+=($!)
# a server that takes a connection and reads nothing for 1.5 s: the client's writes fill its
# small receive buffer, and its window closes
ip netns exec "$B" /usr/bin/python3 -c '
import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.bind(("198.18.7.2", 7070)); s.listen(1)
c, _ = s.accept()
time.sleep(1.5)
while c.recv(65536):
    pass' >"$T/slow.log" 2>&1 &
PIDS+=($!)
ip netns exec "$A" dumpcap -i tva$$ -s 128 -f tcp -w "$T/cap.pcapng" -q 2>"$T/dumpcap.log" &
cap=$!
PIDS+=("$cap")
for _ in $(seq 100); do grep -q Capturing "$T/dumpcap.log" 2>/dev/null && break; sleep 0.05; done
sleep 1
for _ in 1 2 3; do
	ip netns exec "$A" curl -m 20 -s -o /dev/null http://198.18.7.2:8080/big || fail "curl"
done
ip netns exec "$A" curl -m 20 -s -o /dev/null http://198.18.7.2:9090/big || fail "curl (clean)"
ip netns exec "$A" /usr/bin/python3 -c '
import socket
s = socket.create_connection(("198.18.7.2", 7070))
s.sendall(bytes(1500000))
s.close()' || fail "the slow reader's client"
sleep 1
kill "$cap"
wait "$cap" 2>/dev/null || true
note "captured $(capinfos -c -M "$T/cap.pcapng" 2>/dev/null | awk '/Number of packets/ {print $NF}') packets"
probe=("$FLUXPROBE" --read "$T/cap.pcapng" -q --idle-timeout 300 --fields tcp)
check() { /usr/bin/python3 "$here/tcpa_check.py" "$T/cap.pcapng" "$@"; }

note "1. each flow and direction against tshark's TCP analysis"
"${probe[@]}" --json "$T/uni.json"
check "$T/uni.json" --min-retrans 10 --min-zero 1 || fail "the counts differ from tshark's"
clean=$(/usr/bin/python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if 9090 in (r["sourceTransportPort"], r["destinationTransportPort"]):
        n += 1
        if r["tcpRetransmittedPackets"] or r["tcpOutOfOrderPackets"] or r["tcpZeroWindowPackets"]:
            print("dirty")
print(n)' "$T/uni.json")
expect_eq "records of the clean connection, all zero" "$clean" 2

note "2. --biflow"
"${probe[@]}" --biflow --json "$T/bi.json"
check "$T/bi.json" --biflow --min-retrans 10 --min-zero 1 || fail "--biflow: the counts differ"

note "3. IPFIX (ntop's elements, decoded by tshark), ECS, ClickHouse's schema"
port=$(free_udp_port)
capture_export "$T/ipfix.pcapng" "$port" "${probe[@]}" --biflow --collector "127.0.0.1:$port"
tshark -r "$T/ipfix.pcapng" -d "udp.port==$port,cflow" -T pdml >"$T/ipfix.pdml" 2>/dev/null
check "$T/bi.json" --biflow --ipfix "$T/ipfix.pdml" || fail "IPFIX's counts differ"
"${probe[@]}" --json "$T/ecs.json" --json-schema ecs
/usr/bin/python3 "$here/ecs_check.py" "$here/ecs_fields.txt" "$T/ecs.json" "$T/uni.json" \
	>"$T/ecs.log" || { cat "$T/ecs.log"; fail "ECS types"; }
/usr/bin/python3 -c '
import json, sys
ecs = [json.loads(l) for l in open(sys.argv[1])]
ipf = [json.loads(l) for l in open(sys.argv[2])]
a = sorted(e["fluxprobe"]["tcp"]["retransmitted_packets"] for e in ecs if "tcp" in e.get("fluxprobe", {}))
b = sorted(r["tcpRetransmittedPackets"] for r in ipf if "tcpRetransmittedPackets" in r)
sys.exit(0 if a == b and a else 1)' "$T/ecs.json" "$T/uni.json" || fail "ECS fluxprobe.tcp.* differ"
"$FLUXPROBE" --clickhouse-schema >"$T/schema.sql"
for c in tcp_retrans_pkts tcp_retrans_bytes tcp_ooo_pkts tcp_zero_window rev_tcp_retrans_pkts; do
	grep -q "$c UInt32" "$T/schema.sql" || fail "--clickhouse-schema has no $c"
done

note "4. off by default"
"$FLUXPROBE" --read "$T/cap.pcapng" -q --idle-timeout 300 --json "$T/none.json"
grep -q 'tcpRetransmittedPackets' "$T/none.json" && fail "TCP analysis without --fields tcp"
echo "ok: --fields tcp: retransmissions, out of order and zero windows per flow and direction as tshark's analysis, in JSON, IPFIX, ECS"
