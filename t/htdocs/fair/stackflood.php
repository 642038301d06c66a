<?php
// As many distinct PHP stacks as asked: each path through a binary tree of
// calls d deep (16 by default) is a stack of its own, so paths o .. o+n-1
// (below 2^d) make n distinct stacks, each ending in leaf(), where the time
// goes (t/64fair.t; the bench's full stack table).
function a($bits, $d, $spin) { return $d ? step($bits, $d, $spin) : leaf($spin); }
function b($bits, $d, $spin) { return $d ? step($bits, $d, $spin) : leaf($spin); }
function step($bits, $d, $spin)
{
    return ($bits & 1) ? a($bits >> 1, $d - 1, $spin) : b($bits >> 1, $d - 1, $spin);
}
function leaf($spin)
{
    $x = 0;
    for ($i = 0; $i < $spin; $i++)
        $x += $i;
    return $x;
}
$n = (int)($_GET['n'] ?? 1000);
$o = (int)($_GET['o'] ?? 0);
$spin = (int)($_GET['spin'] ?? 20000);
$d = (int)($_GET['d'] ?? 16);
for ($p = $o; $p < $o + $n; $p++)
    step($p, $d, $spin);
echo "paths $n\n";
