<?php
// A realistic page of 5-20 ms: includes, some computation, and a sleep
// standing in for a database or an API call.
for ($i = 1; $i <= 6; $i++) require_once __DIR__ . "/lib/part$i.php";
$rows = [];
for ($i = 0; $i < 200; $i++) $rows[] = ['id' => $i, 'name' => "item$i"];
usort($rows, fn($a, $b) => strcmp(md5($a['name']), md5($b['name'])));
$html = '';
for ($i = 1; $i <= 6; $i++) $html .= ("part$i")($rows);
usleep(6000);
echo strlen($html), "\n";
