<?php
function f_30() { return 30; }
