#!/usr/bin/perl
# A scriptable raw SMTP client for the bad-input tests: it can send bytes
# a real client never would (bare CR/LF, NUL, early talk, pipelined
# plaintext before TLS) and half-close its side.  Perl because perl-base
# is on every Debian system.
#
#   smtpclient.pl PORT STEP...
#     r        read one reply (all its lines) and print it
#     s:TEXT   send TEXT; \r \n \t \0 \\ and \xHH are understood
#     S:TEXT   send TEXT, then read one reply
#     h        shut down our sending side (half-close)
#     a        print everything until the server closes (at most 5 s)
#     p:MS     pause MS milliseconds
# Prints "EOF" when the server closed the connection.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(sleep time);

my $port = shift @ARGV or die "usage: $0 PORT STEP...\n";
my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
    Proto => 'tcp') or die "connect: $!\n";
binmode $sock;
$| = 1;
my $buf = '';
my $eof = 0;

sub unescape {
	my ($t) = @_;
	$t =~ s/\\x([0-9A-Fa-f]{2})/chr(hex($1))/ge;
	$t =~ s/\\r/\r/g; $t =~ s/\\n/\n/g; $t =~ s/\\t/\t/g;
	$t =~ s/\\0/\0/g; $t =~ s/\\\\/\\/g;
	return $t;
}

# Fill $buf until $want returns true or the deadline passes.
sub fill {
	my ($want, $limit) = @_;
	my $sel = IO::Select->new($sock);
	my $end = time + $limit;
	until ($want->()) {
		my $left = $end - time;
		return 0 if $left <= 0 || $eof;
		next unless $sel->can_read($left);
		my $n = sysread($sock, my $chunk, 65536);
		if (!$n) { $eof = 1; return $want->(); }
		$buf .= $chunk;
	}
	return 1;
}

sub read_reply {
	my $done = sub { $buf =~ /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n/ };
	fill($done, 5);
	if ($buf =~ s/^((?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n)//) {
		my $r = $1; $r =~ s/\r//g; print $r;
	}
}

for my $step (@ARGV) {
	if ($step eq 'r') { read_reply(); }
	elsif ($step =~ /^s:(.*)$/s) { syswrite($sock, unescape($1)); }
	elsif ($step =~ /^S:(.*)$/s) { syswrite($sock, unescape($1)); read_reply(); }
	elsif ($step eq 'h') { shutdown($sock, 1); }
	elsif ($step =~ /^p:(\d+)$/) { sleep($1 / 1000); }
	elsif ($step eq 'a') {
		fill(sub { 0 }, 5);
		my $r = $buf; $r =~ s/\r//g; print $r; $buf = '';
	}
	else { die "bad step $step\n"; }
}
fill(sub { 0 }, 0.3) unless $eof;
print "EOF\n" if $eof;
