#!/usr/bin/perl
# A relay that accepts the first ACCEPT messages and answers 451 to the end
# of data of every later one: the one behaviour smtp-sink cannot script
# (its -M stops before replying).  Each accepted message is written to
# DIR/msg.N with smtp-sink-like X-Mail-Args/X-Rcpt-Args lines, so the
# tests read it the same way.  One child per connection.
#
#   fakerelay.pl PORT DIR ACCEPT
use strict;
use warnings;
use IO::Socket::INET;
use POSIX ':sys_wait_h';

my ($port, $dir, $accept) = @ARGV;
die "usage: $0 PORT DIR ACCEPT\n" unless defined $accept;
my $srv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
    Listen => 64, ReuseAddr => 1) or die "listen: $!\n";
$SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };

# The next free slot, claimed atomically by creating it; undef when all
# ACCEPT slots are taken.
sub claim {
	for my $n (1 .. $accept) {
		return "$dir/msg.$n" if sysopen(my $fh, "$dir/msg.$n",
		    POSIX::O_WRONLY | POSIX::O_CREAT | POSIX::O_EXCL);
	}
	return undef;
}

sub serve {
	my ($c) = @_;
	$c->autoflush(1);
	print $c "220 fakerelay ESMTP\r\n";
	my ($mail, @rcpt) = ('');
	while (my $line = <$c>) {
		$line =~ s/\r?\n$//;
		if ($line =~ /^(EHLO|HELO) /i) {
			print $c "250-fakerelay\r\n250 8BITMIME\r\n";
		} elsif ($line =~ /^MAIL FROM:(.*)$/i) {
			($mail, @rcpt) = ($1); print $c "250 2.1.0 Ok\r\n";
		} elsif ($line =~ /^RCPT TO:(.*)$/i) {
			push @rcpt, $1; print $c "250 2.1.5 Ok\r\n";
		} elsif ($line =~ /^DATA$/i) {
			print $c "354 go ahead\r\n";
			my $body = '';
			while (my $l = <$c>) {
				last if $l eq ".\r\n";
				$body .= $l;
			}
			my $slot = claim();
			if (!defined $slot) {
				print $c "451 4.3.0 fakerelay: no more today\r\n";
				next;
			}
			open(my $fh, '>', $slot) or die;
			print $fh "X-Mail-Args: $mail\n";
			print $fh "X-Rcpt-Args: $_\n" for @rcpt;
			print $fh "\n$body";
			close $fh;
			print $c "250 2.0.0 Ok: accepted\r\n";
		} elsif ($line =~ /^RSET$/i) {
			print $c "250 2.0.0 Ok\r\n";
		} elsif ($line =~ /^QUIT$/i) {
			print $c "221 2.0.0 Bye\r\n"; last;
		} else {
			print $c "502 5.5.1 no\r\n";
		}
	}
	close $c;
}

while (1) {
	my $c = $srv->accept or next;
	my $pid = fork;
	if (defined $pid && $pid == 0) { close $srv; serve($c); exit 0; }
	close $c;
}
