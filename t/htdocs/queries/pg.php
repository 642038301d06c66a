<?php
// pgsql and PDO_pgsql, through libpq: the same shop as shop.php, its
// caller Shop::find, PHP's hrtime() around each statement the ground
// truth of their time; what ran is printed as JSON.
class Db {
    public function __construct(private $c) {}
    public function query(string $q) {
        global $ns;
        $t = hrtime(true);
        $r = pg_query($this->c, $q);
        $ns['find'] = ($ns['find'] ?? 0) + hrtime(true) - $t;
        return $r;
    }
}
class Shop {
    public function __construct(private Db $db) {}
    public function find(int $id) {
        return $this->db->query("SELECT name, price FROM shop_items WHERE id = $id AND name <> 's3cr3t-PG'");
    }
}
$ns = [];
function timed(string $what, callable $f) {
    global $ns;
    $t = hrtime(true);
    $r = $f();
    $ns[$what] = ($ns[$what] ?? 0) + hrtime(true) - $t;
    return $r;
}
$c = pg_connect('host=' . $_GET['dir'] . ' user=postgres dbname=shop');
$shop = new Shop(new Db($c));
for ($i = 1; $i <= (int)($_GET['find'] ?? 0); $i++)
    $shop->find($i);
for ($i = 1; $i <= (int)($_GET['params'] ?? 0); $i++)
    timed('params', fn() => pg_query_params($c, 'SELECT price FROM shop_prices WHERE id = $1', [$i]));
if ($n = (int)($_GET['prepared'] ?? 0)) {
    pg_prepare($c, 'by_total', 'SELECT COUNT(*) FROM shop_orders WHERE total > $1');
    for ($i = 1; $i <= $n; $i++)
        timed('prepared', fn() => pg_execute($c, 'by_total', [$i]));
}
if ($n = (int)($_GET['pdo'] ?? 0)) {
    $pdo = new PDO('pgsql:host=' . $_GET['dir'] . ';dbname=shop', 'postgres', '');
    $q = $pdo->prepare('SELECT id FROM shop_items WHERE price < :p');
    for ($i = 1; $i <= $n; $i++)
        timed('pdo', fn() => $q->execute([':p' => $i * 10]));
}
for ($i = 0; $i < (int)($_GET['fail'] ?? 0); $i++)
    timed('fail', fn() => @pg_query($c, 'SELECT nope FROM shop_missing WHERE id = 1'));
// A value ending in a backslash: PostgreSQL's strings take no escapes.
if (isset($_GET['bs']))
    pg_query($c, "SELECT id FROM shop_items WHERE name = 'C:\\' OR name = 's3cr3t-PG2'");
echo json_encode(array_map(fn($v) => intdiv($v, 1000), $ns));
