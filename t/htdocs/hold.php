<?php
// Holds n connections to the helper's socket for s seconds, as any PHP
// script on the server could (t/47hold.t).
$path = $_GET['sock'] ?? '';
$n = (int)($_GET['n'] ?? 200);
$s = (int)($_GET['s'] ?? 20);
$held = [];
for ($i = 0, $tries = 0; count($held) < $n && $tries < 10 * $n; $tries++) {
    $c = @stream_socket_client("unix://$path", $errno, $errstr, 1);
    if ($c)
        $held[] = $c;
    else
        usleep(1000);           // a full backlog: as an attacker would, again
}
sleep($s);
echo count($held), "\n";
