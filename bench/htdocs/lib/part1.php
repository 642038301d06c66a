<?php
function part1(array $rows) {
    $out = [];
    foreach ($rows as $r) { $out[] = strtoupper($r['name']) . ':' . md5($r['id'] . '1'); }
    return implode(',', $out);
}
