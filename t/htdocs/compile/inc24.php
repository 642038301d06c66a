<?php
function f_24() { return 24; }
