<?php
class NoUsdtError extends Exception {}
try {
    throw new NoUsdtError('thrown');
} catch (NoUsdtError $e) {
    echo "caught";
}
