<?php
function part5(array $rows) {
    $out = [];
    foreach ($rows as $r) { $out[] = strtoupper($r['name']) . ':' . md5($r['id'] . '5'); }
    return implode(',', $out);
}
