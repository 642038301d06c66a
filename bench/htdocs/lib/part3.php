<?php
function part3(array $rows) {
    $out = [];
    foreach ($rows as $r) { $out[] = strtoupper($r['name']) . ':' . md5($r['id'] . '3'); }
    return implode(',', $out);
}
