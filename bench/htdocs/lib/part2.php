<?php
function part2(array $rows) {
    $out = [];
    foreach ($rows as $r) { $out[] = strtoupper($r['name']) . ':' . md5($r['id'] . '2'); }
    return implode(',', $out);
}
