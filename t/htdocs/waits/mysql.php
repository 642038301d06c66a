<?php
// SELECT SLEEP(0.1) three times over TCP and three times over the unix
// socket; PHP's own hrtime() around every call is the ground truth.  The
// queries go through Db::query, the call site the waits are charged to.
class Db {
    public function __construct(private mysqli $c) {}
    public function query(string $q) {
        return $this->c->query($q);         // the call site: line 8
    }
}
$waited = 0;
function timed(callable $f) {
    global $waited;
    $t = hrtime(true);
    $r = $f();
    $waited += hrtime(true) - $t;
    return $r;
}
$tcp = timed(fn() => new Db(new mysqli('127.0.0.1', 'root', '', '', (int)$_GET['port'])));
for ($i = 0; $i < 3; $i++)
    timed(fn() => $tcp->query('SELECT SLEEP(0.1)'));
$unix = timed(fn() => new Db(new mysqli('localhost', 'root', '', '', 0, $_GET['socket'])));
for ($i = 0; $i < 3; $i++)
    timed(fn() => $unix->query('SELECT SLEEP(0.1)'));
echo intdiv($waited, 1000);
