#!/usr/bin/perl
# An ASN database (.mmdb, GeoLite2-ASN's layout) from rows of the public ASN table
# (@ip-location-db/asn's CSV: first address, last address, AS number, organisation), with
# Debian's MaxMind::DB::Writer.   geo_asn.pl OUT.mmdb < rows.csv
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;
use Text::ParseWords qw(parse_line);

my $out = shift or die "usage: geo_asn.pl OUT.mmdb < rows.csv\n";
my %types = (
	autonomous_system_number       => 'uint32',
	autonomous_system_organization => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
	ip_version            => 6,
	record_size           => 28,
	database_type         => 'fluxprobe-test-ASN',
	languages             => ['en'],
	description           => { en => 'fluxprobe tests: rows of the public ASN table' },
	map_key_type_callback => sub { $types{ $_[0] } },
	alias_ipv6_to_ipv4    => 1,
	remove_reserved_networks => 0,
);
my $n = 0;
while (my $line = <STDIN>) {
	$line =~ s/\r?\n\z//;
	my ($first, $last, $asn, $org) = parse_line(',', 0, $line);
	next unless defined $org;
	$tree->insert_range($first, $last,
		{ autonomous_system_number => $asn + 0, autonomous_system_organization => $org });
	$n++;
}
open my $fh, '>:raw', $out or die "$out: $!\n";
$tree->write_tree($fh);
close $fh or die "$out: $!\n";
print STDERR "geo_asn.pl: $n ranges into $out\n";
