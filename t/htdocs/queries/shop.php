<?php
// A wpdb-like database layer (Db) and the code that wants the rows (Shop):
// the page must name Shop::find, at the line that calls Db::query, as the
// caller of its statement.  PHP's own hrtime() around every statement is
// the ground truth of their time; what ran is printed as JSON.
class Db {
    public function __construct(private mysqli $c) {}
    // What the module times is mysqlnd sending the statement and reading
    // its result's header: real_query(); the rows are fetched after.
    public function query(string $q) {
        global $ns;
        $t = hrtime(true);
        $this->c->real_query($q);
        $ns['find'] = ($ns['find'] ?? 0) + hrtime(true) - $t;
        return $this->c->store_result();
    }
}
class Shop {
    public function __construct(private Db $db) {}
    public function find(int $id) {
        return $this->db->query("SELECT name, price FROM shop_items WHERE id = $id AND name <> 's3cr3t-XYZ'");
    }
}
mysqli_report(MYSQLI_REPORT_OFF);
$ns = [];
function timed(string $what, callable $f) {
    global $ns;
    $t = hrtime(true);
    $r = $f();
    $ns[$what] = ($ns[$what] ?? 0) + hrtime(true) - $t;
    return $r;
}
// A persistent connection outlives the request, and the helper.
$c = new mysqli((isset($_GET['persistent']) ? 'p:' : '') . 'localhost', 'root', '', 'shop', 0, $_GET['socket']);
$shop = new Shop(new Db($c));
for ($i = 1; $i <= (int)($_GET['find'] ?? 0); $i++)
    $shop->find($i);
// Prepared: the text once, each execute a run.
if ($n = (int)($_GET['prepared'] ?? 0)) {
    $st = $c->prepare('SELECT price FROM shop_prices WHERE id = ?');
    for ($i = 1; $i <= $n; $i++) {
        $st->bind_param('i', $i);
        timed('prepared', fn() => $st->execute());
        $st->get_result();
    }
}
// PDO: emulated prepares by default, so each execute is a text statement.
if ($n = (int)($_GET['pdo'] ?? 0)) {
    $pdo = new PDO('mysql:unix_socket=' . $_GET['socket'] . ';dbname=shop', 'root', '');
    $q = $pdo->prepare('SELECT COUNT(*) FROM shop_orders WHERE total > :t');
    for ($i = 1; $i <= $n; $i++)
        timed('pdo', fn() => $q->execute([':t' => $i * 1.5]));
}
for ($i = 0; $i < (int)($_GET['fail'] ?? 0); $i++)
    timed('fail', fn() => $c->query('SELECT nope FROM shop_missing WHERE id = 1'));
if (isset($_GET['hostile']))
    timed('hostile', fn() => $c->query("SELECT '<b>' AS `<script>x</script>`, \"\xff\xfe\" AS `q\"uote` FROM shop_items LIMIT 1"));
if (isset($_GET['big']))
    timed('big', fn() => $c->query('SELECT id FROM shop_items WHERE name IN (' . implode(',', array_map(fn($i) => "'s3cr3t-$i'", range(1, 10000))) . ')'));
if ($n = (int)($_GET['distinct'] ?? 0))
    for ($i = 0; $i < $n; $i++)
        $c->query("SELECT id AS c$i FROM shop_items WHERE id = 1");
if ($ms = (int)($_GET['sleep'] ?? 0))
    usleep($ms * 1000);
echo json_encode(array_map(fn($v) => intdiv($v, 1000), $ns));
