<?php
// A class of exception no other vhost throws (t/64fair.t).
class NewBClass extends Exception {}
try { throw new NewBClass("b"); } catch (Exception $e) {}
echo "thrown\n";
