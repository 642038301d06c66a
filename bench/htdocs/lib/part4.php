<?php
function part4(array $rows) {
    $out = [];
    foreach ($rows as $r) { $out[] = strtoupper($r['name']) . ':' . md5($r['id'] . '4'); }
    return implode(',', $out);
}
