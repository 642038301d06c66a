<?php
function f_13() { return 13; }
