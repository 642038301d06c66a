<?php
class FooException extends Exception {}
class BarException extends Exception {}
for ($i = 0; $i < 2; $i++) {
    try { throw new FooException("caught"); } catch (FooException $e) {}
}
throw new BarException("not caught");
