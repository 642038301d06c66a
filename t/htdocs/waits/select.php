<?php
// stream_select() on a socketpair that never speaks and the HTTP peer (it
// answers after 200 ms).  The socketpair comes first, with the lower fd:
// the wait is the peer's, and must be charged to it.
$pair = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
$t = hrtime(true);
$s = stream_socket_client('tcp://127.0.0.1:' . (int)$_GET['port'], $errno, $errstr, 2);
fwrite($s, "GET / HTTP/1.0\r\n\r\n");
$r = [$pair[0], $s];
$w = $e = null;
$n = stream_select($r, $w, $e, 2);
$body = stream_get_contents($s);
echo $n === 1 && $r === [1 => $s] ? intdiv(hrtime(true) - $t, 1000) : 'select returned ' . var_export($n, true);
