<?php
// Waits at three call sites: a function with a small frame, one whose frame
// (30 locals) is bigger than the site reader takes under the innermost
// frame in one read, and the file's own code.  Prints PHP's own time in
// the waits, in microseconds.
function small_frame() {
    usleep(20000); // site: small
}
function big_frame() {
    $a1 = 1;
    $a2 = 2;
    $a3 = 3;
    $a4 = 4;
    $a5 = 5;
    $a6 = 6;
    $a7 = 7;
    $a8 = 8;
    $a9 = 9;
    $a10 = 10;
    $a11 = 11;
    $a12 = 12;
    $a13 = 13;
    $a14 = 14;
    $a15 = 15;
    $a16 = 16;
    $a17 = 17;
    $a18 = 18;
    $a19 = 19;
    $a20 = 20;
    $a21 = 21;
    $a22 = 22;
    $a23 = 23;
    $a24 = 24;
    $a25 = 25;
    $a26 = 26;
    $a27 = 27;
    $a28 = 28;
    $a29 = 29;
    $a30 = 30;
    usleep(20000); // site: big
    return $a1 + $a2 + $a3 + $a4 + $a5 + $a6 + $a7 + $a8 + $a9 + $a10 + $a11 + $a12 + $a13 + $a14 + $a15 + $a16 + $a17 + $a18 + $a19 + $a20 + $a21 + $a22 + $a23 + $a24 + $a25 + $a26 + $a27 + $a28 + $a29 + $a30 + 0;
}
$t = hrtime(true);
for ($i = 0; $i < 3; $i++) small_frame();
for ($i = 0; $i < 2; $i++) big_frame();
usleep(20000); // site: main
echo intdiv(hrtime(true) - $t, 1000);
