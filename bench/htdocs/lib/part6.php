<?php
function part6(array $rows) {
    $out = [];
    foreach ($rows as $r) { $out[] = strtoupper($r['name']) . ':' . md5($r['id'] . '6'); }
    return implode(',', $out);
}
