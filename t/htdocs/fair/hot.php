<?php
// One hot function for s seconds (t/64fair.t).
class Hot2
{
    static function crunch($until)
    {
        $x = 0;
        while (hrtime(true) < $until)
            for ($i = 0; $i < 1000; $i++)
                $x += $i;
        return $x;
    }
}
Hot2::crunch(hrtime(true) + (float)($_GET['s'] ?? 1) * 1e9);
echo "hot\n";
